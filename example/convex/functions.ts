/**
 * The builders app code uses to write: wrapped with the app's triggers, and
 * loaded together with the rollouts declared in ./migrations, so that their
 * write path is registered in every function that writes through these.
 */
import "./migrations";

export { internalMutation, mutation } from "./triggers";
