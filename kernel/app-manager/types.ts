// What the app-manager keeps in KV and returns over kRPC. The install record
// (`users/<u>/apps/<installation_id>/install_record`, spec 10 §2) is the lifecycle's durable state: it
// is written before the spec, carries the running task step by step, and is what a restarted OOD
// resumes from.
import type { TaskKind, TaskStep, TaskOutcome, AppState, AppTask, RollbackRecord, InstallRecord, TaskView, AppListEntry, StartedTask } from '../api/app-manager.js';
export type { TaskKind, TaskStep, TaskOutcome, AppState, AppTask, RollbackRecord, InstallRecord, TaskView, AppListEntry, StartedTask };

