/**
 * Temporary directories for tests, removed after the tests of the file that imports this module
 * (jest loads it once per test file, so the hook below belongs to that file). It runs before the
 * file's own top-level afterAll hooks: a directory a running server writes to is removed by the
 * test that stops the server.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const made: string[] = [];
afterAll(() => made.splice(0).forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

export function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${prefix}-`));
  made.push(dir);
  return dir;
}
