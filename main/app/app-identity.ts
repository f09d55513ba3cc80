/** Must equal electron-builder.yml's appId (Windows notifications are keyed by it); a test checks. */
export const APP_ID = 'ai.cvat-sync.desktop';
export const PRODUCT_NAME = 'CVAT Sync';
