/// <reference types="vite/client" />
/**
 * The example app's operators' console, over the public functions of
 * example/convex/dashboard.ts (each refuses whoever is not on the
 * deployment's operator or viewer list).
 *
 * With VITE_CONVEX_URL it subscribes to that deployment. Wrap it in your auth
 * provider (ConvexProviderWithClerk, ConvexAuthProvider, ...) instead of the
 * plain ConvexProvider below, so the functions know who is asking: without a
 * signed-in operator the page shows "Not authorized" and nothing else.
 *
 * Without it (the browser tests, `npm run demo`'s page) it polls the server
 * that served it, which answers Convex's HTTP API from the example app running
 * on convex-test, as the user whose token is in the URL's fragment (#token=...).
 */
import { ConvexHttpClient } from "convex/browser";
import { ConvexProvider, ConvexReactClient } from "convex/react";
import {
  OperatorConsole,
  OperatorConsoleView,
  operatorActions,
  type OperatorStatus,
} from "convex-rollouts/react";
import { useEffect, useMemo, useState } from "react";
import { createRoot } from "react-dom/client";
import { api } from "../convex/_generated/api";

function Live({ url }: { url: string }) {
  const client = useMemo(() => new ConvexReactClient(url), [url]);
  return (
    <ConvexProvider client={client}>
      <OperatorConsole api={api.dashboard} />
    </ConvexProvider>
  );
}

/** The same console over HTTP, polled: for a server that speaks Convex's HTTP API. */
function Polled() {
  const client = useMemo(() => {
    const http = new ConvexHttpClient(window.location.origin, {
      skipConvexDeploymentUrlCheck: true,
      logger: false,
    });
    const token = new URLSearchParams(window.location.hash.slice(1)).get("token");
    if (token) http.setAuth(token);
    return http;
  }, []);
  const [result, setResult] = useState<{ status?: OperatorStatus; error?: unknown }>({});
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = async () => {
      try {
        const status = await client.query(api.dashboard.status, {});
        if (!stopped) setResult({ status });
      } catch (error) {
        if (!stopped) setResult({ error });
      }
      if (!stopped) timer = setTimeout(() => void poll(), 500);
    };
    void poll();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [client, tick]);
  const actions = useMemo(
    () =>
      operatorActions(api.dashboard, async (mutation, args): Promise<unknown> => {
        try {
          return (await client.mutation(mutation, args)) as unknown;
        } finally {
          setTick((n) => n + 1); // show the change now, not at the next poll
        }
      }),
    [client],
  );
  return <OperatorConsoleView status={result.status} error={result.error} actions={actions} />;
}

const url = import.meta.env.VITE_CONVEX_URL as string | undefined;
createRoot(document.getElementById("root")!).render(url ? <Live url={url} /> : <Polled />);
