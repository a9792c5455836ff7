import * as lark from '@larksuiteoapi/node-sdk';

/**
 * The SDK's app-registration device flow ("create the app by scanning a QR code", lark/README.md
 * §5.15), the way the rest of the core reaches it: only lark/ talks to the SDK.
 */
export const registerApp: typeof lark.registerApp = (options) => lark.registerApp(options);
