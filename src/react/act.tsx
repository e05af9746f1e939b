/**
 * How every control of the console acts: it shows that it is pending while
 * its call is in flight (and its neighbours wait), and the error if the call
 * fails, in the words of the server's ConvexError.
 */
import { useCallback, useState, type Ref } from "react";
import { messageOf } from "./operator.js";
import { styles } from "./styles.js";

export type Act = {
  /** The action in flight, if any. */
  pending: string | null;
  /** The last action's error, for a person. */
  error: string | null;
  /** Runs `call` as `action`; answers whether it succeeded. */
  act: (action: string, call: () => Promise<unknown>) => Promise<boolean>;
};

export function useAct(): Act {
  const [pending, setPending] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const act = useCallback(async (action: string, call: () => Promise<unknown>) => {
    setPending(action);
    setError(null);
    try {
      await call();
      return true;
    } catch (e) {
      setError(messageOf(e));
      return false;
    } finally {
      setPending(null);
    }
  }, []);
  return { pending, error, act };
}

type ButtonProps = {
  action: string;
  label: string;
  busy: string;
  state: Act;
  /** Not for a submit button: its form's onSubmit acts. */
  onClick?: () => void;
  kind?: "primary" | "danger" | "plain" | "danger primary";
  disabled?: boolean;
  describedBy?: string;
  type?: "button" | "submit";
  buttonRef?: Ref<HTMLButtonElement>;
};

export function ActionButton(props: ButtonProps) {
  const { action, label, busy, state, onClick, kind = "plain", disabled, describedBy } = props;
  const mine = state.pending === action;
  const variant =
    kind === "plain"
      ? ""
      : kind
          .split(" ")
          .map((k) => ` cr-btn-${k}`)
          .join("");
  return (
    <button
      ref={props.buttonRef}
      type={props.type ?? "button"}
      className={`cr-btn${variant}`}
      onClick={onClick}
      disabled={disabled === true || state.pending !== null}
      aria-busy={mine || undefined}
      aria-describedby={describedBy}
      data-action={action}
    >
      {mine ? busy : label}
    </button>
  );
}

export function ErrorLine({ error }: { error: string | null }) {
  return error === null ? null : (
    <p role="alert" style={styles.alert}>
      {error}
    </p>
  );
}
