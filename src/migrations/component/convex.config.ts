import { defineComponent } from "convex/server";

/**
 * The drop-in for `@convex-dev/migrations`: our engine, installed by default
 * under the name that package used, so `components.migrations` stays what it
 * was, and its tables (theirs included) stay where they were.
 */
const component = defineComponent("migrations");

export default component;
