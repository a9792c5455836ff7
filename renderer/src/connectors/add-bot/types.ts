import type { Platform } from '@shared/config-schema';
import type { AccessView, ReceiveMode } from '@shared/contract';

/** How step 1 gets the credentials: pasted from the console (the default) or made by scanning a QR code. */
export type CredentialSource = 'paste' | 'scan';

/** The app a scan created (ScanToCreate.tsx): its App Secret stays in the core, named by the registration. */
export interface ScannedApp {
  registrationId: string;
  appId: string;
  /** The platform the app is on: a Lark tenant turns a Feishu scan into a Lark app. */
  platform: Platform;
  /** The person who scanned (an open_id), offered as the bot's owner. */
  ownerOpenId?: string;
}

/** Everything the person typed or ticked in the Add Bot dialog, kept across steps. */
export interface Draft {
  appId: string;
  appSecret: string;
  domain: string;
  encryptKey: string;
  /** How events reach the bot: offered only where Kocoro is a server (headless). */
  receive: ReceiveMode;
  /** Webhook mode: Events & Callbacks → Encryption Strategy → Verification Token. */
  verificationToken: string;
  botAdded: boolean;
  scopesAdded: boolean;
  agentId: string;
  displayName: string;
  /** Who gets an answer; pickers need the saved bot, so allowlists are edited later in Edit. */
  access: AccessView;
  credentialSource: CredentialSource;
  /** Set once a scan created the app; then `appId` is its App ID and `appSecret` stays empty. */
  scanned: ScannedApp | null;
  /** Make the scanner an approver (and allowed to DM the bot): ticked by default. */
  ownerApprover: boolean;
}

export interface FieldErrors {
  appId?: string;
  appSecret?: string;
  domain?: string;
  encryptKey?: string;
  verificationToken?: string;
  agentId?: string;
  displayName?: string;
  /** The platform refused the App ID + Secret pair: both fields are marked. */
  credentials?: boolean;
}

export interface StepBanner {
  tone: 'error' | 'warning';
  text: string;
  detail?: string;
  /** The fix is in step 1 (App ID taken, bad secret…): offer a way back. */
  backToStep1?: boolean;
}

/** Fixed ids, so a failed check can focus the field to fix and fields can point at each other. */
export const FIELD_IDS = {
  appId: 'add-bot-app-id',
  appSecret: 'add-bot-app-secret',
  domain: 'add-bot-domain',
  encryptKey: 'add-bot-encrypt-key',
  verificationToken: 'add-bot-verification-token',
  agentId: 'add-bot-agent',
  displayName: 'add-bot-display-name',
} as const;
