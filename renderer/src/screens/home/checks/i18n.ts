// Words of the Home checks added with issue 9's second part: disk space and a recent rollback.
export const homeChecksEn = {
  disk: {
    ok: 'Enough free disk space ({{free}} GB free on {{device}}).',
    unknown: 'Disk space is not reported yet.',
    low: '{{device}} is running out of disk space: {{free}} GB of {{total}} GB free.',
    next: 'Remove apps or files you no longer need, or move apps to another device.',
  },
  rollback: {
    none: 'No app had to go back to a previous version recently.',
    recent: '{{app}} {{from}} did not work, so your home cloud went back to {{to}}.',
    recentRestored: '{{app}} {{from}} did not work, so your home cloud went back to {{to}} and restored its data.',
    next: 'Nothing is lost. Open Apps to look at its log, or try the update again later.',
  },
};

export const homeChecksZh: typeof homeChecksEn = {
  disk: {
    ok: '磁盘空间充足（{{device}} 上有 {{free}} GB 可用）。',
    unknown: '尚未报告磁盘空间。',
    low: '{{device}} 的磁盘空间快用完了：{{total}} GB 中只剩 {{free}} GB。',
    next: '删除不再需要的应用或文件，或把应用移到其他设备上。',
  },
  rollback: {
    none: '最近没有应用需要恢复到上一版本。',
    recent: '{{app}} {{from}} 无法正常工作，家庭云已恢复到 {{to}}。',
    recentRestored: '{{app}} {{from}} 无法正常工作，家庭云已恢复到 {{to}} 并恢复了数据。',
    next: '没有丢失任何内容。可以在“应用”中查看它的日志，或稍后再试一次更新。',
  },
};
