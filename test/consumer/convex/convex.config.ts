import { defineApp } from "convex/server";
import rollouts from "convex-rollouts/convex.config.js";
import migrations from "convex-rollouts/migrations/convex.config.js";

const app = defineApp();
app.use(rollouts);
// The drop-in for @convex-dev/migrations, under the name that package used.
app.use(migrations);

export default app;
