import { defineComponent } from "convex/server";

const component = defineComponent("rollouts");

export default component;
