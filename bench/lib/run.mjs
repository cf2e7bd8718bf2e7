/** Runs a benchmark's main(), always cleans up (servers, temp dirs), and exits with main's code. */
export async function runBenchmark(main, cleanup) {
  let code = 1;
  try {
    code = await main();
  } catch (error) {
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  } finally {
    await cleanup();
  }
  process.exit(code);
}
