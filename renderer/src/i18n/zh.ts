// 中文（简体）。用词见 shared/UI.md：家庭云、主服务器（本机）、设备、设置、恢复词。
import { desktopZh } from '../desktop/i18n';
import { appsOpsZh } from '../screens/apps/i18n';
import { homeChecksZh } from '../screens/home/checks/i18n';
import { settingsZh } from '../screens/settings/i18n';
import type { Messages } from './en';
import { permissionsZh } from '../screens/permissions/i18n';
import { schedulerZh } from '../screens/scheduler/i18n';
import { sudoZh } from '../components/sudo-i18n';
import { peopleZh } from '../screens/people/i18n';
import { devicesZh } from '../screens/devices/i18n';

export const zh: Messages = {
  app: { name: '家庭云' },
  common: { cancel: '取消', retry: '重试', details: '详细信息', continue: '继续', back: '返回', loading: '正在加载…', refresh: '刷新', language: '语言' },
  nav: { label: '主菜单', home: '首页', apps: '应用', people: '成员', devices: '设备', settings: '设置', permissions: '权限', scheduler: '应用分布', signedInAs: '已登录：{{user}}', logout: '退出登录' },
  offline: { title: '与家庭云的连接已断开。', next: '请确认主服务器已开机。本页面会自动重新连接。' },
  login: {
    title: '登录', intro: '登录以管理你的家庭云。', expired: '登录已过期。重新登录后可以从刚才的位置继续。',
    user: '名称', password: '密码', submit: '登录', signingIn: '正在登录…',
  },
  wizard: {
    stepOf: '第 {{n}} 步，共 {{total}} 步',
    welcome: {
      title: '设置你的家庭云', intro: '这台电脑（{{device}}）将成为你家庭云的主服务器。整个过程只需几分钟。',
      name: '你的名称', nameHint: '小写字母、数字、“-”或“_”。登录时使用。', nameInvalid: '请使用 1–64 个小写字母、数字、“-”或“_”。',
    },
    words: {
      title: '你的恢复词', intro: '这 12 个词是这台电脑丢失后找回家庭云的唯一方法。它们只显示这一次。',
      warning: '请按顺序抄写在纸上并妥善保管。任何拿到这些词的人都能控制你的家庭云。',
      listLabel: '恢复词（按顺序）', copy: '复制', print: '打印', copied: '已复制。', copyFailed: '无法复制，请手动抄写。',
      haveWords: '我已经有恢复词', written: '我已经抄写好了',
      restoreIntro: '按顺序输入你的 12 个恢复词，用空格分隔。', restoreLabel: '你的恢复词',
      restoreInvalid: '这不是 12 个有效的恢复词，请检查拼写和顺序。', makeNew: '改为生成新的恢复词',
    },
    check: {
      title: '核对恢复词', intro: '为确认抄写无误，请输入下面这三个词。', word: '第 {{n}} 个词',
      mismatch: '至少有一个词不对。请对照你抄写的内容，或返回重新查看。',
    },
    zone: {
      title: '名称和密码', intro: '为你的家庭云取个名字，并设置登录密码。',
      name: '家庭云名称', nameHint: '应用的地址会像 notes.{{name}} 这样。', nameInvalid: '请使用字母、数字和“-”（例如“home”）。',
      password: '密码', passwordHint: '至少 8 个字符，越长越安全。', passwordShort: '密码至少需要 8 个字符。',
      passwordWeak: '这个密码太容易被猜到，请加长或换一个不容易猜到的。', confirm: '再次输入密码',
      confirmMismatch: '两次输入的密码不一致。', strength: '强度：{{level}}',
      levels: { 0: '太短', 1: '弱', 2: '一般', 3: '良好', 4: '强' },
    },
    review: {
      title: '准备设置', intro: '请确认以下信息。可以返回修改任何一项。',
      owner: '你的名称', zone: '家庭云', words: '恢复词', wordsNew: '新生成，已抄写', wordsRestored: '使用已有的恢复词',
      password: '密码', passwordSet: '已设置', keyStays: '恢复词不会离开这个页面：设备只会收到用它生成的签名。',
      start: '开始设置我的家庭云',
      delegate: '允许主服务器添加我批准的设备',
      delegateHint: '之后你在“设备”页面批准的 NAS、路由器和电脑无需输入恢复词即可加入。此授权只适用于这类设备，有效期一年。',
    },
    progress: {
      intro: '正在设置，请不要关闭此页面。', label: '设置进度',
      state: { done: '完成', active: '进行中', waiting: '等待' },
      phase: {
        'device-key': '向设备获取密钥', prepare: '准备设置内容', sign: '用你的恢复词签名',
        commit: '保存到设备', booting: '启动你的家庭云', opening: '打开首页',
      },
    },
  },
  home: {
    title: '首页', health: '运行状况', counts: '家庭云概况',
    overall: { ok: '一切正常', warn: '需要留意', bad: '需要处理', unknown: '暂时无法得知' },
    lastKnown: '以下是连接断开前的最后状态：',
    status: { ok: '正常', warn: '留意', bad: '问题' },
    count: { devices: '设备', apps: '应用', people: '成员', hidden: '当前登录无权查看' },
    checks: {
      unknown: '无法读取最新状态。', unknownNext: '请稍后刷新。',
      services: { ok: '家庭云的各个部分都在正常响应。', bad: '没有响应：{{services}}。', next: '请等一分钟；如果一直这样，请重启主服务器。' },
      nodes: { ok: '所有设备都在上报状态（{{count}} 台）。', warn: '没有上报：{{devices}}。', next: '请检查该设备是否开机并已连接到你的网络。' },
      repo: { ok: '应用库已就绪。', bad: '应用库没有响应。', next: '请等一分钟；如果一直这样，请重启主服务器。' },
      apps: { none: '还没有安装应用。', ok: '所有应用都在运行（{{count}} 个）。', bad: '有问题的应用：{{apps}}。', next: '打开“应用”查看发生了什么以及如何处理。' },
      session: { ok: '你已登录。', warn: '你的登录将在约 {{hours}} 小时后结束。', next: '方便时请退出并重新登录。' },
    },
  },
  apps: {
    title: '应用', installed: '已安装的应用', library: '应用库',
    noneInstalled: '还没有应用——从下面的应用库安装一个吧。',
    libraryEmpty: '应用库是空的。发布到家庭云的应用会显示在这里。',
    libraryAllInstalled: '应用库中的应用都已安装。',
    install: '安装', installNamed: '安装 {{name}}', open: '打开', update: '更新', chooseVersion: '{{name}} 要更新到的版本',
    uninstall: '卸载', uninstallConfirm: '要卸载 {{name}} 吗？它会停止运行并从家庭云中移除；数据会保留，重新安装即可恢复。',
    uninstallYes: '卸载 {{name}}', onDevice: '运行于 {{device}}', progressOf: '{{name}} 的进度',
    state: {
      installing: '正在安装', upgrading: '正在更新', 'rolling-back': '正在恢复', uninstalling: '正在卸载', running: '运行中',
      starting: '正在启动', 'rolled-back': '已恢复到上一版本', stopped: '已停止', failed: '无法运行', failing: '反复停止',
    },
    phase: {
      preparing: '准备应用', scheduling: '选择设备', 'waiting-for-node': '等待设备', switching: '切换版本',
      downloading: '下载中', deploying: '安装中', starting: '启动中', 'health-check': '检查能否正常运行',
      'rolling-back': '恢复到上一版本', restoring: '恢复你的数据', removing: '移除中', done: '完成', failed: '失败', working: '处理中',
    },
    rollback: {
      automatic: '{{from}} 没有通过运行检查，家庭云已恢复到 {{to}}。',
      automaticRestored: '{{from}} 没有通过运行检查；已恢复到 {{to}}，数据也已恢复。',
      manual: '已按你的要求从 {{from}} 恢复到 {{to}}。',
      manualRestored: '已按你的要求从 {{from}} 恢复到 {{to}}，并恢复了更新前的数据。',
    },
  },
  appsOps: appsOpsZh,
  homeChecks: homeChecksZh,
  settings: settingsZh,
  sudo: sudoZh,
  people: peopleZh,
  devices: devicesZh,
  errors: {
    INVALID_PARAMS: { what: '请求中有内容未被接受。', next: '请检查输入后重试。' },
    UNAUTHENTICATED: { what: '你已不在登录状态。', next: '请重新登录；页面上的内容会保留。' },
    TOKEN_EXPIRED: { what: '你的登录已过期。', next: '请重新登录；页面上的内容会保留。' },
    PERMISSION_DENIED: { what: '你的账号无权执行此操作。', next: '请联系家庭云的所有者为你开通权限。' },
    NOT_FOUND: { what: '找不到该项目，它可能已被删除。', next: '请返回并刷新列表。' },
    ALREADY_EXISTS: { what: '已存在同名的项目。', next: '请换一个名称。' },
    VERSION_CONFLICT: { what: '有人在同一时间修改了这里。', next: '请刷新后重试。' },
    NOT_ACTIVATED: { what: '这台设备还没有设置。', next: '请打开设备的设置页面完成设置。' },
    ALREADY_ACTIVATED: { what: '这台设备已经设置过了。', next: '请打开它的控制面板并登录。' },
    UNKNOWN_METHOD: { what: '家庭云的这一部分不认识这个请求，可能版本较旧。', next: '请更新家庭云后重试。' },
    PAYLOAD_TOO_LARGE: { what: '内容太大，无法发送。', next: '请换一个较小的文件。' },
    RESOURCE_EXHAUSTED: { what: '家庭云的磁盘已满，所以没有保存任何内容。', next: '请在主服务器上腾出一些空间（删除或移走大文件），然后重试。' },
    RATE_LIMITED: { what: '短时间内尝试次数过多。', next: '请稍等片刻再试。' },
    RATE_LIMITED_timed: { what: '短时间内尝试次数过多。', next: '请等待约 {{minutes}} 分钟后再试。' },
    RATE_LIMITED_seconds: { what: '短时间内尝试次数过多。', next: '请等待 {{seconds}} 秒后再试。' },
    UNAVAILABLE: { what: '家庭云的某个部分暂时没有响应。', next: '请稍后重试；如果一直这样，请重启主服务器。' },
    TIMEOUT: { what: '家庭云响应时间过长。', next: '请稍后重试。' },
    INTEGRITY: { what: '数据校验失败，因此没有做任何更改。', next: '请重试；如果再次出现，设备可能有故障或被篡改。' },
    FAILED_PRECONDITION: { what: '当前状态下无法执行此操作。', next: '请刷新页面查看当前状态后重试。' },
    INTERNAL: { what: '家庭云内部出了点问题。', next: '请重试；如果一直出现，请重启主服务器。' },
    UNREACHABLE: { what: '无法连接到你的家庭云。', next: '请确认主服务器已开机并联网；本页面会自动重新连接。' },
    BAD_ANSWER: { what: '家庭云返回了本页面无法理解的内容。', next: '请刷新页面；如果一直这样，请更新家庭云。' },
    login: {
      wrong: { what: '名称和密码不匹配。', next: '请检查拼写后重试。密码区分大小写。' },
      locked: { what: '密码错误次数过多，登录已暂停一段时间。', next: '请稍等片刻后再试。' },
      locked_timed: { what: '密码错误次数过多，登录已暂停一段时间。', next: '请在约 {{minutes}} 分钟后再试。' },
      locked_seconds: { what: '密码错误次数过多，登录已暂停一段时间。', next: '请在 {{seconds}} 秒后再试。' },
      disabled: { what: '这个账号已被停用。', next: '请联系家庭云的所有者重新启用。' },
    },
    sudo: {
      wrong: { what: '这不是您的密码。', next: '请输入您登录时使用的密码。密码区分大小写。' },
    },
    activation: {
      already: { what: '这台设备已经设置过了。', next: '请打开它的控制面板，用所有者密码登录。' },
      integrity: { what: '设备返回的内容与请求不符，因此没有签名任何内容。', next: '请重启设备后重新设置。' },
      invalid: { what: '设备没有接受这次设置。', next: '请返回检查名称和密码后重试。' },
    },
  },
  desktop: desktopZh,
  permissions: permissionsZh,
  scheduler: schedulerZh,
};
