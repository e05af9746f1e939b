// The engine's functions, registered in the drop-in component under the same paths.
export * from "../../component/controls.js";
