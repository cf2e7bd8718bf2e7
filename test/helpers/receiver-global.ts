import type { TestProject } from "vitest/node";
import { startReceiver } from "./receiver";

/** Starts one receiver for the workerd test files; they reach it over loopback like any receiver. */
export default async function setup(project: TestProject) {
  const { url, server } = await startReceiver();
  project.provide("receiverUrl", url);
  return () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
}
