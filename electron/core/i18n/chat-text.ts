import { settingOf } from '@shared/bot-settings';
import type { BotConfig, BotLanguage } from '@shared/config-schema';

/**
 * Everything the bot itself says in a chat (not the agent's answer), in each language a bot can
 * speak. `{name}` is replaced by the parameter of that name. The app's own UI has its catalog in
 * renderer/src/i18n; the texts the agent reads about attachments stay English (models read it best).
 */
const en = {
  'agent.empty': '(The agent returned an empty answer.)',
  'agent.timeout': 'The agent took too long to answer. Please try again.',
  'agent.failed': 'The agent failed to answer. Please try again later.',
  'agent.noApiKey': "The agent has no API key. Ask the bot's owner to set it.",
  'agent.keyRejected': "The agent's API key was rejected. Ask the bot's owner to check it.",
  'agent.modelNotFound': 'The agent\'s model "{model}" was not found. Ask the bot\'s owner to check it.',
  'agent.rateLimited': 'The agent is busy right now (rate limited). Please try again in a moment.',
  'agent.unreachable': "The agent could not be reached. Ask the bot's owner to check the connection.",
  'agent.notRunning': "The agent could not be reached. Ask the bot's owner to check that it is running.",
  'kocoro.notRunning': 'Kocoro daemon not running: start it with `shan daemon start`',
  'kocoro.failed': 'The Kocoro agent failed: {detail}',
  'kocoro.noAnswer': 'The Kocoro agent sent no answer.',
  'kocoro.failedToAnswer': 'The Kocoro agent failed to answer.',
  'kocoro.incomplete': 'The Kocoro agent stopped before finishing its answer.',
  'kocoro.busy': 'Kocoro was still busy with an earlier request in this conversation. Please send your message again in a moment.',
  'kocoro.notDaemon': 'The program on port {port} is not the Kocoro daemon ({who}); Kocoro did not send it the message.',
  'kocoro.notDaemonHidden':
    "Another user's program is listening on port {port}, not the Kocoro daemon; Kocoro did not send it the message.",
  'kocoro.unproven':
    "Kocoro could not check that the program on port {port} is the Kocoro daemon, so it did not send it the message. The bot's owner can see why with Check on the Agents page.",
  'agent.partial': '_The agent stopped before finishing ({reason})._',
  'steps.summary': 'Used {count} tools · {time}',
  'steps.summaryOne': 'Used 1 tool · {time}',
  'steps.waiting': 'waiting for approval',
  'steps.waitingDm': 'waiting for approval in a direct message',
  'approval.header': 'Approval needed',
  'approval.tool': 'Tool',
  'approval.askedBy': 'Asked by {who}.',
  'approval.waitsApprovers': "Only the bot's approvers may allow this; {who} may deny it.",
  'approval.waitsOwner': "Waiting for the owner's approval in the Kocoro app; {who} may deny it.",
  'approval.askedInGroup': '{who} asked in a group chat: “{question}”',
  'approval.askedInDm': '{who} asked in a direct message with me: “{question}”',
  'approval.folded': 'The whole call: {chars} characters on {lines} line(s). Open it and read it before allowing.',
  'approval.tooLong':
    'This call is too long to show in a card ({chars} characters), so it can only be allowed in the Kocoro app, which shows it whole.',
  'approval.hidden': '{n} value(s) that look like secrets are shown as ***.',
  'approval.invisible': '{n} invisible or text-reordering character(s) are shown as ⟦U+…⟧.',
  'approval.fromGroup': 'For your message in a group chat.',
  'approval.allow': 'Allow',
  'approval.deny': 'Deny',
  'approval.alwaysAllow': 'Always allow',
  'approval.allowed': 'Allowed by {who} at {time}.',
  'approval.denied': 'Denied by {who} at {time}.',
  'approval.alwaysAllowed': 'Always allowed by {who} at {time}.',
  'approval.byApp': "the bot's owner in Kocoro",
  'approval.expired': 'Expired: nobody decided in time, so the tool was not run.',
  'approval.stopped': 'Stopped: the answer was stopped before a decision.',
  'approval.finished': 'No longer needed: the answer ended.',
  'approval.elsewhere': 'Decided in the Kocoro app.',
  'approval.botStopped': 'Stopped: the bot stopped before a decision.',
  'approval.waitingDm': 'Waiting for a step to be approved; the request went to the person who asked, in a direct message with me.',
  'approval.toastNotYou': "Only the bot's approvers may decide this; the person who asked may deny it.",
  'approval.toastAskerDeny': "Only the bot's approvers may allow this. You may deny your own request.",
  'approval.toastAskerDenyOwner': "Only the bot's owner may allow this, in the Kocoro app. You may deny your own request.",
  'approval.toastApproversOnly': "Only the bot's approvers may choose Always allow.",
  'approval.toastInApp': 'This call is too long to show here: it can only be allowed in the Kocoro app, which shows it whole.',
  'approval.toastDone': 'Already decided.',
  'approval.toastGone': 'This request is no longer waiting.',
  'approval.toastAllowed': 'Allowed',
  'approval.toastDenied': 'Denied',
  'approval.toastFailed': 'Kocoro could not pass on the decision. Please try again.',
  'usage.tokens': '{tokens} tokens',
  'usage.cost': '${cost}',
  'program.noWorkingDir': "The agent's working directory does not exist. Ask the bot's owner to check it.",
  'program.notFound': "The agent's program was not found. Ask the bot's owner to check it.",
  'program.notExecutable': "The agent's program cannot be run. Ask the bot's owner to check it.",
  'program.cannotStart': "The agent failed to start. Ask the bot's owner to check it.",
  'program.failed': "The agent failed ({how}). Ask the bot's owner to look at Kocoro's log.",
  'program.optionLikeMessage':
    'A message starting with "-" cannot be passed to this agent\'s program (it would read it as an option). Rephrase it, or ask the bot\'s owner to pass messages after "--" or on standard input.',
  'reply.stoppedNote': '_Stopped._',
  'reply.interrupted': 'Interrupted — Kocoro will finish this answer when it restarts.',
  'reply.restarted': 'This answer started again after an interruption: steps already taken may have run twice.',
  'backlog.note': 'You asked this at {time}, while I was offline.',
  'backlog.skipped': 'I was offline — please ask again if it still matters.',
  'file.notKept.agentCannotOpen': 'The file "{name}" was not kept: this agent cannot open files.',
  'file.notKept.tooLarge': 'The file "{name}" was not kept: it is over the {limit} limit.',
  'file.notKept.quota': 'The file "{name}" was not kept: it is larger than this bot keeps ({quota}).',
  'file.notKept.failed': 'The file "{name}" could not be fetched or saved.',
  'card.generating': 'Generating…',
  'stop.button': 'Stop',
  'stop.toastStopped': 'Stopped',
  'stop.toastFinished': 'Already finished',
  'stop.toastNotYou': "Only the person who asked, or one of the bot's approvers, may stop this answer.",
  'stop.nothing': 'Nothing to stop.',
  'stop.notYou': "Only the person who asked, or one of the bot's approvers, may stop this answer.",
  'command.new': 'Started a new conversation: I have forgotten what was said before here.',
  'command.helpTitle': 'Commands:',
  'command.help.new': 'start a fresh conversation: I forget what was said before in this chat (or thread)',
  'command.help.stop': 'stop the answer I am writing',
  'command.help.help': 'show this list',
};

export type ChatTextKey = keyof typeof en;

const zhCN: Record<ChatTextKey, string> = {
  'agent.empty': '（智能体返回了空白的回答。）',
  'agent.timeout': '智能体回答超时，请重试。',
  'agent.failed': '智能体未能回答，请稍后再试。',
  'agent.noApiKey': '智能体没有配置 API 密钥，请联系机器人的管理员设置。',
  'agent.keyRejected': '智能体的 API 密钥被拒绝，请联系机器人的管理员检查。',
  'agent.modelNotFound': '找不到智能体的模型“{model}”，请联系机器人的管理员检查。',
  'agent.rateLimited': '智能体当前繁忙（请求受限），请稍后再试。',
  'agent.unreachable': '无法连接到智能体，请联系机器人的管理员检查网络连接。',
  'agent.notRunning': '无法连接到智能体，请联系机器人的管理员确认它正在运行。',
  'kocoro.notRunning': 'Kocoro 守护进程未运行：请用 `shan daemon start` 启动它',
  'kocoro.failed': 'Kocoro 智能体出错：{detail}',
  'kocoro.noAnswer': 'Kocoro 智能体没有返回回答。',
  'kocoro.failedToAnswer': 'Kocoro 智能体未能回答。',
  'kocoro.incomplete': 'Kocoro 智能体在回答完成前就停止了。',
  'kocoro.busy': 'Kocoro 仍在处理这个会话中的上一个请求，请稍后重新发送你的消息。',
  'kocoro.notDaemon': '端口 {port} 上的程序不是 Kocoro 守护进程（{who}）；Kocoro 没有把消息发给它。',
  'kocoro.notDaemonHidden': '端口 {port} 上监听的是其他用户的程序，不是 Kocoro 守护进程；Kocoro 没有把消息发给它。',
  'kocoro.unproven':
    'Kocoro 无法确认端口 {port} 上的程序是 Kocoro 守护进程，因此没有把消息发给它。机器人的所有者可以在“智能体”页面点击“检查”查看原因。',
  'agent.partial': '_智能体没有完成就停止了（{reason}）。_',
  'steps.summary': '使用了 {count} 个工具 · {time}',
  'steps.summaryOne': '使用了 1 个工具 · {time}',
  'steps.waiting': '等待审批',
  'steps.waitingDm': '等待在私聊中审批',
  'approval.header': '需要审批',
  'approval.tool': '工具',
  'approval.askedBy': '由 {who} 发起。',
  'approval.waitsApprovers': '只有机器人的审批人可以允许；{who} 可以拒绝。',
  'approval.waitsOwner': '正在等待机器人所有者在 Kocoro 应用中审批；{who} 可以拒绝。',
  'approval.askedInGroup': '{who} 在群聊中提问：“{question}”',
  'approval.askedInDm': '{who} 在与我的私聊中提问：“{question}”',
  'approval.folded': '完整的调用：{chars} 个字符，{lines} 行。允许之前请展开阅读。',
  'approval.tooLong': '这个调用太长，无法在卡片中显示（{chars} 个字符），只能在 Kocoro 应用中允许，应用会完整显示它。',
  'approval.hidden': '{n} 个看起来像密钥的值显示为 ***。',
  'approval.invisible': '{n} 个不可见或会改变文字顺序的字符显示为 ⟦U+…⟧。',
  'approval.fromGroup': '针对你在群聊中的消息。',
  'approval.allow': '允许',
  'approval.deny': '拒绝',
  'approval.alwaysAllow': '始终允许',
  'approval.allowed': '{who} 于 {time} 允许。',
  'approval.denied': '{who} 于 {time} 拒绝。',
  'approval.alwaysAllowed': '{who} 于 {time} 设为始终允许。',
  'approval.byApp': '机器人的管理员（在 Kocoro 中）',
  'approval.expired': '已过期：没有人及时决定，工具未运行。',
  'approval.stopped': '已停止：回答在决定前被停止。',
  'approval.finished': '已不需要：回答已结束。',
  'approval.elsewhere': '已在 Kocoro 应用中决定。',
  'approval.botStopped': '已停止：机器人在决定前停止了。',
  'approval.waitingDm': '正在等待一个步骤的审批；请求已在与我的私聊中发给发起人。',
  'approval.toastNotYou': '只有机器人的审批人可以决定；发起人可以拒绝。',
  'approval.toastAskerDeny': '只有机器人的审批人可以允许。你可以拒绝自己的请求。',
  'approval.toastAskerDenyOwner': '只有机器人的所有者可以在 Kocoro 应用中允许。你可以拒绝自己的请求。',
  'approval.toastApproversOnly': '只有机器人的审批人可以选择“始终允许”。',
  'approval.toastInApp': '这个调用太长，无法在这里显示：只能在 Kocoro 应用中允许，应用会完整显示它。',
  'approval.toastDone': '已经决定过了。',
  'approval.toastGone': '这个请求已不再等待。',
  'approval.toastAllowed': '已允许',
  'approval.toastDenied': '已拒绝',
  'approval.toastFailed': 'Kocoro 未能转达这个决定，请重试。',
  'usage.tokens': '{tokens} 个 token',
  'usage.cost': '${cost}',
  'program.noWorkingDir': '智能体的工作目录不存在，请联系机器人的管理员检查。',
  'program.notFound': '找不到智能体的程序，请联系机器人的管理员检查。',
  'program.notExecutable': '智能体的程序无法运行，请联系机器人的管理员检查。',
  'program.cannotStart': '智能体未能启动，请联系机器人的管理员检查。',
  'program.failed': '智能体出错（{how}），请联系机器人的管理员查看 Kocoro 的日志。',
  'program.optionLikeMessage':
    '以“-”开头的消息无法交给此智能体的程序（它会被当作选项）。请换一种说法，或请机器人的管理员改为在“--”之后或通过标准输入传递消息。',
  'reply.stoppedNote': '_已停止。_',
  'reply.interrupted': '已中断——Kocoro 重新启动后会完成这个回答。',
  'reply.restarted': '这个回答在中断后重新开始：已执行的步骤可能执行了两次。',
  'backlog.note': '你在 {time} 问了这个问题，当时我不在线。',
  'backlog.skipped': '我刚才不在线——如果这件事还重要，请再问一次。',
  'file.notKept.agentCannotOpen': '文件“{name}”未保存：此智能体无法打开文件。',
  'file.notKept.tooLarge': '文件“{name}”未保存：超过了 {limit} 的上限。',
  'file.notKept.quota': '文件“{name}”未保存：超过了此机器人可保存的容量（{quota}）。',
  'file.notKept.failed': '文件“{name}”无法获取或保存。',
  'card.generating': '生成中…',
  'stop.button': '停止',
  'stop.toastStopped': '已停止',
  'stop.toastFinished': '已经结束',
  'stop.toastNotYou': '只有发起人或机器人的审批人可以停止这个回答。',
  'stop.nothing': '当前没有可以停止的回答。',
  'stop.notYou': '只有发起人或机器人的审批人可以停止这个回答。',
  'command.new': '已开始新的对话：我已忘记这里之前说过的内容。',
  'command.helpTitle': '可用命令：',
  'command.help.new': '开始新的对话：忘记此会话（或话题）中之前说过的内容',
  'command.help.stop': '停止我正在写的回答',
  'command.help.help': '显示此列表',
};

/** The languages a bot speaks in its chats. */
export type ChatLanguage = Exclude<BotLanguage, 'auto'>;

const CATALOG: Record<ChatLanguage, Record<ChatTextKey, string>> = { en, 'zh-CN': zhCN };

/** Something the bot says, before it is put in a language: a key and its parameters. */
export interface ChatNotice {
  key: ChatTextKey;
  params?: Record<string, string>;
}

/** `auto`: Feishu (China) bots speak 简体中文, Lark (international) bots English. */
export function chatLanguageOf(bot: Pick<BotConfig, 'platform' | 'language'>): ChatLanguage {
  const chosen = settingOf(bot, 'language');
  if (chosen !== 'auto') return chosen;
  return bot.platform === 'feishu' ? 'zh-CN' : 'en';
}

/** The text of `key` (or of a notice) in `language`, parameters filled in. */
export function chatText(language: ChatLanguage, key: ChatTextKey | ChatNotice, params: Record<string, string> = {}): string {
  const notice = typeof key === 'string' ? { key, params } : { key: key.key, params: { ...key.params, ...params } };
  return CATALOG[language][notice.key].replace(/\{(\w+)\}/g, (whole, name: string) => notice.params?.[name] ?? whole);
}

/** A bound catalog: what one bot says, in its language. */
export type ChatPhrases = (key: ChatTextKey | ChatNotice, params?: Record<string, string>) => string;

export function chatPhrases(language: ChatLanguage): ChatPhrases {
  return (key, params) => chatText(language, key, params);
}
