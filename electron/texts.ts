// The desktop shell's own words (tray, dialogs, the waiting page, update notices) in English and
// Chinese, picked from the OS language. The control panel has its own i18n; these are the few lines the
// shell shows before or beside it. The owner's words (shared/UI.md): "home cloud", never zone/kernel.
export interface DesktopTexts {
  tray: {
    healthy: string; attention: string; stopped: string;
    openToStart: string; stopping: string; starting: string;
    crashedTimes(n: number): string; restartingIn(s: number): string;
    notSetUp: string; checkFailed: string;
  };
  window: { starting: string; restartingIn(s: number): string; stopping: string; stopped: string };
  quit: { message: string; detail: string; keep: string; stop: string };
  menu: {
    open: string; startAtLogin: string; betaUpdates: string; quit: string;
    downloading(v: string): string; restartToUpdate(v: string): string; installing(v: string): string; updateFailed(e: string): string;
  };
  update: { availableTitle(v: string): string; availableBody: string; notInstalled(v: string, why: string): string; noTakeover: string };
}

export const desktopEn: DesktopTexts = {
  tray: {
    healthy: 'Home cloud is running well', attention: 'Home cloud needs attention', stopped: 'Home cloud is stopped',
    openToStart: 'open BuckyOS to start it', stopping: 'stopping', starting: 'starting',
    crashedTimes: (n) => `it stopped unexpectedly ${n} time${n === 1 ? '' : 's'}; starting again`,
    restartingIn: (s) => `it stopped unexpectedly; starting it again in ${s} s`,
    notSetUp: 'not set up yet: open BuckyOS to set it up', checkFailed: 'a health check failed',
  },
  window: {
    starting: 'Starting your home cloud…',
    restartingIn: (s) => `Your home cloud stopped unexpectedly; starting it again in ${s} s…`,
    stopping: 'Stopping your home cloud…', stopped: 'Your home cloud is stopped.',
  },
  quit: {
    message: 'Quit BuckyOS and stop your apps?',
    detail: 'Quitting stops your home cloud on this computer, and the apps it runs here stop with it; they start again the next time BuckyOS starts. '
      + 'To keep them running, leave BuckyOS in the tray: closing the window does that.',
    keep: 'Keep running in the tray', stop: 'Quit and stop apps',
  },
  menu: {
    open: 'Open BuckyOS', startAtLogin: 'Start at login', betaUpdates: 'Beta updates', quit: 'Quit…',
    downloading: (v) => `Downloading update ${v}…`, restartToUpdate: (v) => `Restart to update to ${v}`,
    installing: (v) => `Installing ${v}…`, updateFailed: (e) => `Update failed: ${e}`,
  },
  update: {
    availableTitle: (v) => `BuckyOS ${v} is available`,
    availableBody: 'It is downloading; you choose when to restart into it (your home cloud keeps its data).',
    notInstalled: (v, why) => `the update to ${v} was not installed (${why}); this version keeps running`,
    noTakeover: 'the installer did not take over',
  },
};

export const desktopZh: DesktopTexts = {
  tray: {
    healthy: '家庭云运行正常', attention: '家庭云需要处理', stopped: '家庭云已停止',
    openToStart: '打开 BuckyOS 以启动它', stopping: '正在停止', starting: '正在启动',
    crashedTimes: (n) => `意外停止了 ${n} 次，正在重新启动`,
    restartingIn: (s) => `意外停止，${s} 秒后重新启动`,
    notSetUp: '尚未设置：打开 BuckyOS 进行设置', checkFailed: '有一项健康检查未通过',
  },
  window: {
    starting: '正在启动你的家庭云…',
    restartingIn: (s) => `你的家庭云意外停止，${s} 秒后重新启动…`,
    stopping: '正在停止你的家庭云…', stopped: '你的家庭云已停止。',
  },
  quit: {
    message: '退出 BuckyOS 并停止你的应用？',
    detail: '退出会停止这台电脑上的家庭云，它在这里运行的应用也会随之停止；下次启动 BuckyOS 时它们会重新运行。'
      + '如果想让它们继续运行，请让 BuckyOS 留在托盘中：关闭窗口即可。',
    keep: '留在托盘中继续运行', stop: '退出并停止应用',
  },
  menu: {
    open: '打开 BuckyOS', startAtLogin: '登录时启动', betaUpdates: '测试版更新', quit: '退出…',
    downloading: (v) => `正在下载更新 ${v}…`, restartToUpdate: (v) => `重新启动以更新到 ${v}`,
    installing: (v) => `正在安装 ${v}…`, updateFailed: (e) => `更新失败：${e}`,
  },
  update: {
    availableTitle: (v) => `BuckyOS ${v} 已发布`,
    availableBody: '正在下载；由你决定何时重新启动进入新版本（家庭云的数据会保留）。',
    notInstalled: (v, why) => `未能安装 ${v} 更新（${why}）；当前版本继续运行`,
    noTakeover: '安装程序没有接手',
  },
};

/** The texts for the OS's preferred languages (BCP 47 tags, most preferred first). */
export function desktopTexts(languages: readonly string[]): DesktopTexts {
  for (const tag of languages) {
    const l = tag.toLowerCase();
    if (l.startsWith('zh')) return desktopZh;
    if (l.startsWith('en')) return desktopEn;
  }
  return desktopEn;
}
