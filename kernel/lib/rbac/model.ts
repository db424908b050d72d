// The casbin model BuckyOS compiles into its runtime (spec 60 §5.1), verbatim. keyGet3 is not a
// node-casbin builtin; createRbac registers ours (key-get3.ts).
export const DEFAULT_RBAC_MODEL = `
[request_definition]
r = sub,obj,act

[policy_definition]
p = sub, obj, act, eft

[role_definition]
g = _, _

[policy_effect]
e = priority(p.eft) || deny

[matchers]
m = (g(r.sub, p.sub) || r.sub == p.sub) && ((r.sub == keyGet3(r.obj, p.obj, p.sub) || keyGet3(r.obj, p.obj, p.sub) =="") && keyMatch3(r.obj,p.obj)) && (p.act == "all" || regexMatch(r.act, p.act))
`;
