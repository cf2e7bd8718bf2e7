// The npm healthchecks-io-client package ships no types: the part the e2e tests use.
declare module "healthchecks-io-client" {
  export class HealthChecksApiClient {
    constructor(options: { apiKey: string; baseUrl?: string; apiVersion?: number; maxContentLength?: number });
    getChecks(tags?: string[]): Promise<{ checks: any[] }>;
    getCheck(uuid: string): Promise<any>;
    createCheck(check: Record<string, unknown>): Promise<any>;
    updateCheck(uuid: string, check: Record<string, unknown>): Promise<any>;
    pauseCheck(uuid: string): Promise<any>;
    deleteCheck(uuid: string): Promise<any>;
    listPings(uuid: string): Promise<{ pings: any[] }>;
    listFlips(uuid: string, params?: { seconds?: number; start?: number; end?: number }): Promise<{ flips: any[] }>;
    getIntegrations(): Promise<{ channels: any[] }>;
  }
  export class HealthChecksPingClient {
    constructor(options: { uuid: string; baseUrl?: string; returnResponse?: boolean });
    success(payload?: string): Promise<string | undefined>;
    fail(payload?: string): Promise<string | undefined>;
    start(): Promise<string | undefined>;
  }
}
