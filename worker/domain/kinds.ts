import type { CheckKind } from "../db/schema";

/**
 * Backup and restic checks keep restore points (the agent's backups, restic's snapshots): the
 * status page, badges and metrics judge them by the age of the newest one against the RPO.
 */
export const keepsRestorePoints = (kind: CheckKind): boolean => kind !== "heartbeat";
