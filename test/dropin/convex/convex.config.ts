import { defineApp } from "convex/server";
import migrations from "convex-rollouts/migrations/convex.config.js";
import oldMigrations from "@convex-dev/migrations/convex.config.js";

const app = defineApp();
// The drop-in, under the name @convex-dev/migrations used.
app.use(migrations);
// @convex-dev/migrations itself, beside it, to produce the state it leaves (carry-over tests).
app.use(oldMigrations, { name: "oldMigrations" });

export default app;
