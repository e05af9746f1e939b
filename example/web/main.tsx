/// <reference types="vite/client" />
/**
 * The example app's status page. With VITE_CONVEX_URL it subscribes to the
 * app's `dashboard:rolloutStatus` query on that deployment; without it, it
 * polls ./status.json, which the demo's and the browser test's small server
 * answer from the example app running on convex-test.
 */
import { ConvexProvider, ConvexReactClient } from "convex/react";
import { RolloutStatusView, useRolloutStatus, type Status } from "convex-rollouts/react";
import { useEffect, useState } from "react";
import { createRoot } from "react-dom/client";
import { api } from "../convex/_generated/api";

function Live() {
  return <RolloutStatusView status={useRolloutStatus(api.dashboard.status)} />;
}

function Polled() {
  const [status, setStatus] = useState<Status>();
  useEffect(() => {
    let stopped = false;
    const poll = async () => {
      const response = await fetch("./status.json");
      if (!stopped && response.ok) setStatus((await response.json()) as Status);
      if (!stopped) setTimeout(() => void poll(), 500);
    };
    void poll();
    return () => {
      stopped = true;
    };
  }, []);
  return <RolloutStatusView status={status} />;
}

const url = import.meta.env.VITE_CONVEX_URL as string | undefined;
createRoot(document.getElementById("root")!).render(
  url ? (
    <ConvexProvider client={new ConvexReactClient(url)}>
      <Live />
    </ConvexProvider>
  ) : (
    <Polled />
  ),
);
