// Retention for backup checks: a pure planner (which backups to keep, which to delete, and why)
// and a health report (does what exists give the restore points the policy promises).
// The sweep and the API call these with a check's backups, its policy, its zone and the clock.
export {
  defaultKeepRules,
  defaultKeepRulesFor,
  describeRetention,
  isDefaultRetention,
  sameKeepRules,
} from "./defaults";
export { retentionHealth, type HeldRule, type RetentionHealth } from "./health";
export {
  newestFirst,
  planRetention,
  type DeletedBackup,
  type KeptBackup,
  type RetentionCandidate,
  type RetentionPlan,
} from "./plan";
export {
  DEFAULT_MIN_AGE_DAYS,
  hasKeepRule,
  immutableUntil,
  KEEP_FIELDS,
  snakeCase,
  type KeepRules,
  retentionPolicyProblem,
  type Period,
  type RetentionPolicy,
} from "./policy";
