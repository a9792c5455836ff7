export { FakeLarkPlatform } from './server.js';
export { PUBLISHED_RATE_LIMITS } from './rate-limits.js';
export type { RateLimitHit, RateLimitOptions } from './rate-limits.js';
export type {
  ClientConfig,
  ConnectionInfo,
  CardOp,
  DeliveryMode,
  CardOpKind,
  FakeApp,
  FakeAppInfo,
  FakeCard,
  FakeLarkOptions,
  FakeReaction,
  FakeResourceInput,
  FakeWebhook,
  InjectedResponse,
  MessageMention,
  PushCardActionInput,
  PushMessageInput,
  PushOptions,
  PushRecord,
  RecordedRequest,
  RequestMatch,
  SentMessage,
  UrlVerification,
  WebhookAttempt,
} from './types.js';
export {
  buildWebhookRequest,
  decryptWebhookPayload,
  encryptWebhookPayload,
  HEADER_NONCE,
  HEADER_SIGNATURE,
  HEADER_TIMESTAMP,
  sendWebhookRequest,
  webhookSignature,
} from './webhook-crypto.js';
export type { BuildWebhookOptions, SendWebhookOptions, WebhookOutcome, WebhookRequest, WebhookResponse } from './webhook-crypto.js';
export { DOCUMENTED_REPUSH_DELAYS_MS, URL_VERIFICATION_DEADLINE_MS } from './webhook-delivery.js';
export type { HandshakeRejection } from './long-connection.js';
export { buildCardActionEvent, buildMessageReceiveEvent, DEFAULT_GROUP_CHAT_ID, DEFAULT_SENDER_OPEN_ID, p2pChatIdFor } from './events.js';
export type { EventSource } from './events.js';
export { decodeFrame, encodeFrame, FrameMethod } from './frames.js';
export type { Frame, FrameHeader } from './frames.js';
export { messageContent, newFileKey, newImageKey } from './content.js';
export { EMOJI_TYPES } from './reactions.js';
export { scopeGrantUrl } from './scopes.js';
export type { FakeChat, FakeDepartment, FakeUser } from './directory.js';
export type {
  AccountsBrand,
  FakeRegistration,
  RegistrationControl,
  RegistrationOutcome,
  RegistrationPoll,
  RegistrationScript,
  RegistrationState,
} from './registration.js';
export { testCertificate } from './test-tls.js';
export type { TestCertificate } from './test-tls.js';
