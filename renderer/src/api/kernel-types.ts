// What the panel knows of the kernel's contract: types from kernel/api (import type only; the build
// never bundles kernel code through here), plus the one shape kernel/api does not declare yet.
import type {
  ActivationMethods, AppManagerMethods, ControlPanelMethods, ControlPanelOpsMethods, DevicesMethods, ErrorCode, MethodName, RepoMethods, SchedulerMethods, SystemConfigMethods,
  VerifyHubMethods,
} from '../../../kernel/api/index';

export type {
  ErrorCode as KernelErrorCode, LoginByPasswordResult, TokenPairResult, KvValue, NodeStatus, ZoneOverview, UserSummary,
} from '../../../kernel/api/index';
export type { ErrorCode };

/** Every service the panel calls, by its /kapi/<name>, with its method map. */
export interface PanelServices {
  verify_hub: VerifyHubMethods;
  system_config: SystemConfigMethods;
  active: ActivationMethods;
  scheduler: SchedulerMethods;
  app_manager: AppManagerMethods;
  repo: RepoMethods;
  'control-panel': ControlPanelMethods & ControlPanelOpsMethods & DevicesMethods;
}
export type ServiceName = keyof PanelServices;
export type MethodOf<S extends ServiceName> = MethodName<PanelServices[S]>;
type Spec<S extends ServiceName, M extends MethodOf<S>> = PanelServices[S][M];
export type ParamsFor<S extends ServiceName, M extends MethodOf<S>> = Spec<S, M> extends { params: infer P } ? P : never;
export type ResultFor<S extends ServiceName, M extends MethodOf<S>> = Spec<S, M> extends { result: infer R } ? R : never;

// TODO(kernel/api, issue 8): GET /device of an unactivated device (spec 40 §4) is not in kernel/api yet
// (kernel/activation/device-info.ts declares it next to node:os code).
export interface DeviceMiniInfo {
  hostname: string;
  device_type: string;
  arch: string;
  os: string;
  state: 'inactive' | 'actived' | 'error';
  cpu_num: number;
  total_mem: number;
}
