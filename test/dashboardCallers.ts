/**
 * Who calls the example's dashboard (example/convex/dashboard.ts) in a test:
 * Ana, whom the deployment lists as an operator, and Vic, a viewer.
 */
import { afterEach, beforeEach, vi } from "vitest";

export const ANA = { subject: "ana", name: "Ana" };
export const VIC = { subject: "vic", name: "Vic" };

/**
 * For each test of the calling file: Ana and Vic listed, on a fake clock;
 * `moreOperators` lists others beside Ana (by subject).
 */
export function listDashboardCallers(moreOperators: string[] = []): void {
  const operators = ["ana", ...moreOperators].map((subject) => `https://convex.test|${subject}`);
  beforeEach(() => {
    vi.useFakeTimers();
    vi.stubEnv("ROLLOUTS_OPERATORS", operators.join(", "));
    vi.stubEnv("ROLLOUTS_VIEWERS", "https://convex.test|vic");
  });
  afterEach(() => {
    vi.useRealTimers();
    vi.unstubAllEnvs();
  });
}
