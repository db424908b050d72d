// The Apps screen's words beyond the first screen's (issue 9): where an app runs and why, going back,
// its log, publishing a package, and an app that keeps stopping.
export const appsOpsEn = {
  failedHere: '{{version}} (went back from it before)',
};

export const appsOpsZh: typeof appsOpsEn = {
  failedHere: '{{version}}（之前已从此版本恢复）',
};
