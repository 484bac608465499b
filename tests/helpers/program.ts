/** The program under mocks, each run in its own module registry. */
import { ProgramRun, runProgram as run, RunOptions, Stack } from "../../policies/lib/program-under-mocks";

export * from "../../policies/lib/program-under-mocks";

export function runProgram(stack: Stack, override?: RunOptions["override"], root?: string): Promise<ProgramRun> {
  return run(stack, { override, root, isolate: (load) => jest.isolateModules(load) });
}
