// What the desktop app's OS notifications say (the panel composes them; the shell only shows them).
export const desktopEn = {
  rollbackTitle: '{{app}} went back to its previous version',
  rollbackBody: 'The update did not pass its health check, so your home cloud restored the version that worked, with its data.',
  waitingTitle: '{{device}} wants to join your home cloud',
  waitingBody: 'Open Devices to approve it, or ignore it if you do not know it.',
};

export const desktopZh: { [K in keyof typeof desktopEn]: string } = {
  rollbackTitle: '{{app}} 已恢复到上一版本',
  rollbackBody: '更新没有通过健康检查，家庭云已恢复到之前能正常运行的版本和数据。',
  waitingTitle: '{{device}} 想加入你的家庭云',
  waitingBody: '打开"设备"批准它；如果你不认识它，请忽略。',
};
