// Texts of the Permissions screen: who may do what, in the owner's words. Rule lines and key names
// appear only in "details" folds and in the rule editor.
export const permissionsEn = {
  title: 'Permissions',
  intro: 'Who may see and change what in your home cloud. Every answer here comes from your home cloud itself, from the same rules it checks every request against.',
  roles: {
    title: 'Roles', members: 'Members', none: 'Nobody yet', builtin: 'Built in', custom: 'Custom', sudoMember: '{{name}} (after confirming the password)',
    name: {
      admin: 'Owners and admins', users: 'People', limited: 'Limited people (nothing unless a rule allows it)', app: 'Apps', node: 'Devices',
      ood: 'Main servers', kernel: 'Core of the home cloud', system: 'System parts', frame: 'Built-in services', agent: 'Agents',
      su_admin: 'Admins after confirming their password', su_users: 'People after confirming their password', root: 'The owner key', guest: 'Guests',
    },
  },
  whatCan: {
    title: 'What can … do?', who: 'Person, app or device', pick: 'Choose who', show: 'Show',
    area: 'Where', read: 'See', write: 'Change', decidedBy: 'Decided by', keys_one: '1 entry: {{example}}', keys_other: '{{count}} entries, e.g. {{example}}',
    methods: 'Actions in the control panel and services', method: 'Action',
    person: '{{name}} (person)', personSudo: '{{name}} (person, after confirming the password)', app: '{{name}} (app of {{owner}})', device: '{{name}} (device)',
    proposed: 'Showing the rules as they would be after your unsaved changes.',
  },
  decision: { allow: 'Allowed', deny: 'Not allowed' },
  line: {
    default: 'built-in rule {{lineNo}}: {{line}}', zone: 'rule {{lineNo}} of this home cloud: {{line}}', implicit: 'this main server\'s own rule: {{line}}',
    none: 'no rule allows it', appSide: 'as {{subject}}', userSide: 'for {{subject}}',
  },
  area: {
    any: 'any', others: 'other people', anyApp: 'any app', boot: 'Basic settings of the home cloud', system: 'System records (rules, where apps run)', security: 'Passwords and keys',
    services: 'Services', nodes: 'Device set-up', devices: 'Device records', users: 'People\'s data', repo: 'App library', other: 'Other entries',
    userApp: 'App {{app}} of {{user}}', userSettings: 'Account of {{user}}', userDoc: 'Public profile of {{user}}', userProfile: 'Profile of {{user}}', userAny: 'Data of {{user}}',
  },
  whoCan: {
    title: 'Who can … ?', key: 'Entry', action: 'To', show: 'Show', allowed: 'Allowed ({{count}})', denied: 'Not allowed ({{count}})',
    hint: 'For example users/alice/settings or system/rbac/policy.', nobody: 'Nobody',
  },
  editor: {
    title: 'Rules', intro: 'Your own rules, one per line, added after the built-in ones. A rule can add what a role does not already give; the first rule that matches decides, and the built-in rules come first.',
    derived: 'Rules your home cloud keeps by itself (from people, devices and apps)', label: 'Your rules',
    checking: 'Checking…', rejected: 'These lines are not rules and would be ignored: {{lines}}',
    diff: 'What this change does', gains: 'Gains', losses: 'Loses', noChange: 'This change gives nobody more and takes nothing away.',
    gain: '{{who}} may now {{action}} {{area}}', loss: '{{who}} may no longer {{action}} {{area}}',
    save: 'Save rules', saving: 'Saving…', saved: 'Saved. Your home cloud now uses the new rules.', blocked: 'Cannot save: a policy test fails.',
    reset: 'Undo changes', unchanged: 'No unsaved changes.',
    sudo: 'Saving asks for your password again, because it changes who may do what.',
  },
  tests: {
    title: 'Policy tests', intro: 'Checks kept with the rules. Every save runs them; a change that breaks one is refused.',
    none: 'No tests yet. Add one so a later change cannot take away something important by accident.',
    pass: 'Passes', fail: 'Fails', failSentence: 'This change breaks the test "{{name}}": {{who}} would be {{got}} to {{action}} {{key}}.',
    add: 'Add test', remove: 'Remove', name: 'Name', who: 'Person', key: 'Entry', action: 'To', expect: 'Expected',
    allowed: 'allowed', denied: 'not allowed', see: 'see', change: 'change',
    sentence: '{{who}} {{expect}} to {{action}} {{key}}',
  },
  raw: 'Raw answer (for experts)',
};

type Texts<T> = { [K in keyof T]: T[K] extends string ? string : Texts<T[K]> };

export const permissionsZh: Texts<typeof permissionsEn> = {
  title: '权限',
  intro: '谁可以查看和更改家庭云里的什么。这里的每个答案都来自家庭云本身，依据的正是它检查每个请求时所用的规则。',
  roles: {
    title: '角色', members: '成员', none: '暂无', builtin: '内置', custom: '自定义', sudoMember: '{{name}}（确认密码后）',
    name: {
      admin: '所有者和管理员', users: '成员', limited: '受限成员（除非规则允许，否则什么都不能做）', app: '应用', node: '设备',
      ood: '主服务器', kernel: '家庭云核心', system: '系统组件', frame: '内置服务', agent: '智能体',
      su_admin: '确认密码后的管理员', su_users: '确认密码后的成员', root: '所有者密钥', guest: '访客',
    },
  },
  whatCan: {
    title: '……能做什么？', who: '人、应用或设备', pick: '选择对象', show: '显示',
    area: '位置', read: '查看', write: '更改', decidedBy: '决定依据', keys_one: '1 个条目：{{example}}', keys_other: '{{count}} 个条目，例如 {{example}}',
    methods: '控制面板和服务中的操作', method: '操作',
    person: '{{name}}（成员）', personSudo: '{{name}}（成员，确认密码后）', app: '{{name}}（{{owner}} 的应用）', device: '{{name}}（设备）',
    proposed: '显示的是保存未保存更改之后的规则。',
  },
  decision: { allow: '允许', deny: '不允许' },
  line: {
    default: '内置规则第 {{lineNo}} 行：{{line}}', zone: '本家庭云规则第 {{lineNo}} 行：{{line}}', implicit: '本主服务器自己的规则：{{line}}',
    none: '没有规则允许', appSide: '以 {{subject}} 身份', userSide: '对 {{subject}}',
  },
  area: {
    any: '任意', others: '其他人', anyApp: '任意应用', boot: '家庭云的基本设置', system: '系统记录（规则、应用运行位置）', security: '密码和密钥',
    services: '服务', nodes: '设备配置', devices: '设备记录', users: '成员的数据', repo: '应用库', other: '其他条目',
    userApp: '{{user}} 的应用 {{app}}', userSettings: '{{user}} 的账户', userDoc: '{{user}} 的公开资料', userProfile: '{{user}} 的个人资料', userAny: '{{user}} 的数据',
  },
  whoCan: {
    title: '谁可以……？', key: '条目', action: '操作', show: '显示', allowed: '允许（{{count}}）', denied: '不允许（{{count}}）',
    hint: '例如 users/alice/settings 或 system/rbac/policy。', nobody: '没有人',
  },
  editor: {
    title: '规则', intro: '你自己的规则，每行一条，排在内置规则之后。规则只能增加角色本来没有的权限；第一条匹配的规则起决定作用，内置规则排在前面。',
    derived: '家庭云自动维护的规则（来自成员、设备和应用）', label: '你的规则',
    checking: '正在检查…', rejected: '这些行不是规则，将被忽略：{{lines}}',
    diff: '这次更改的效果', gains: '获得', losses: '失去', noChange: '这次更改不会给任何人更多权限，也不会拿走什么。',
    gain: '{{who}} 现在可以{{action}} {{area}}', loss: '{{who}} 将不能再{{action}} {{area}}',
    save: '保存规则', saving: '正在保存…', saved: '已保存。家庭云现在使用新的规则。', blocked: '无法保存：有策略测试未通过。',
    reset: '撤销更改', unchanged: '没有未保存的更改。',
    sudo: '保存时会再次要求输入密码，因为这会改变谁能做什么。',
  },
  tests: {
    title: '策略测试', intro: '与规则一起保存的检查。每次保存都会运行；破坏任何一项的更改都会被拒绝。',
    none: '还没有测试。添加一个，以免以后的更改意外拿走重要的权限。',
    pass: '通过', fail: '未通过', failSentence: '这次更改破坏了测试“{{name}}”：{{who}} 将{{got}}{{action}} {{key}}。',
    add: '添加测试', remove: '移除', name: '名称', who: '成员', key: '条目', action: '操作', expect: '预期',
    allowed: '被允许', denied: '不被允许', see: '查看', change: '更改',
    sentence: '{{who}} {{expect}}{{action}} {{key}}',
  },
  raw: '原始结果（供专业人士查看）',
};
