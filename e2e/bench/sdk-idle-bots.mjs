/**
 * The bare official SDK holding idle bots, for the bench's memory baseline: for each app a
 * `Client` and a `WSClient` with an `EventDispatcher`, nothing else. Plain Node, no loader.
 * Usage: node sdk-idle-bots.mjs DOMAIN APPS_JSON  (prints "ready" once every client started).
 */
import * as lark from '@larksuiteoapi/node-sdk';

const [domain, appsJson] = process.argv.slice(2);
const apps = JSON.parse(appsJson);
const quiet = { error: () => {}, warn: () => {}, info: () => {}, debug: () => {}, trace: () => {} };
for (const app of apps) {
  const client = new lark.Client({ appId: app.appId, appSecret: app.appSecret, domain, logger: quiet });
  const dispatcher = new lark.EventDispatcher({ logger: quiet }).register({
    'im.message.receive_v1': async (data) => {
      await client.im.v1.message.reply({
        path: { message_id: data.message.message_id },
        data: { msg_type: 'text', content: JSON.stringify({ text: 'ok' }) },
      });
    },
  });
  const ws = new lark.WSClient({ appId: app.appId, appSecret: app.appSecret, domain, logger: quiet, loggerLevel: lark.LoggerLevel.fatal });
  await ws.start({ eventDispatcher: dispatcher });
}
process.stdout.write('ready\n');
setInterval(() => {}, 1 << 30);
