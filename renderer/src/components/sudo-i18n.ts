// Texts of the sudo dialog (components/SudoDialog.tsx).
export const sudoEn = {
  title: 'Confirm it is you',
  intro: 'Changing people and permissions needs your password again. After that you can make changes for a few minutes without being asked.',
  password: 'Your password',
  confirm: 'Confirm',
  confirming: 'Checking…',
};

export const sudoZh: typeof sudoEn = {
  title: '确认是您本人',
  intro: '修改成员和权限需要再次输入您的密码。确认后的几分钟内，您可以继续修改而无需再次输入。',
  password: '您的密码',
  confirm: '确认',
  confirming: '正在确认…',
};
