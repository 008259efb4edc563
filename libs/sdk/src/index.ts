export * from './tablelane-client';
