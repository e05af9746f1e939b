/**
 * The example app at work during a demo: each step creates a user and edits
 * an existing one through the app's own mutations, so the rollouts meet
 * writes between their batches, as on a live deployment.
 */
import type { Id } from "../example/convex/_generated/dataModel.js";
import { internal } from "../example/convex/_generated/api.js";
import type { ExampleT } from "./exampleApp.js";

export type TrafficShape = {
  /** The user created at step `k`. */
  create: (k: number) => { name: string; email: string };
  /** Edits an existing user at step `k`. */
  edit: (t: ExampleT, userId: Id<"users">, k: number) => Promise<unknown>;
};

export class UserTraffic {
  created = 0;
  edited = 0;
  private ids: Id<"users">[] = [];

  constructor(
    private t: ExampleT,
    private shape: TrafficShape,
  ) {}

  /** Picks up the users that exist, to edit some of them. */
  async load(): Promise<void> {
    this.ids = await this.t.run(async (ctx) =>
      (await ctx.db.query("users").take(2000)).map((u) => u._id),
    );
  }

  async write(count: number): Promise<void> {
    for (let i = 0; i < count; i++) {
      const k = this.created++;
      this.ids.push(await this.t.mutation(internal.users.create, this.shape.create(k)));
      const target = this.ids[(k * 7919) % this.ids.length]!;
      await this.shape.edit(this.t, target, k);
      this.edited++;
    }
  }
}
