// The benchmark app: convex-rollouts and @convex-dev/migrations side by side.
import migrations from "@convex-dev/migrations/convex.config.js";
import { defineApp } from "convex/server";
import rollouts from "convex-rollouts/convex.config.js";

const app = defineApp();
app.use(rollouts);
app.use(migrations);

export default app;
