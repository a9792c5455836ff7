import type { Platform } from './config-schema';

/** Open Platform API base per brand (lark/README.md §1); brands are separate tenants. */
export const PLATFORM_DOMAIN: Record<Platform, string> = {
  feishu: 'https://open.feishu.cn',
  lark: 'https://open.larksuite.com',
};

export const PLATFORM_LABEL: Record<Platform, string> = { feishu: 'Feishu', lark: 'Lark' };
