/** Router settings from the environment, read and checked by libs/config beside runtimeSettings(). */
export { routerSettings, type RouterSettings } from '@app/config';
