/** Gateway settings from the environment, read and checked by libs/config beside runtimeSettings(). */
export { producerSettings, type ProducerSettings } from '@app/config';
