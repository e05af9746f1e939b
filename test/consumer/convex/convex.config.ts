import { defineApp } from "convex/server";
import rollouts from "convex-rollouts/convex.config.js";

const app = defineApp();
app.use(rollouts);

export default app;
