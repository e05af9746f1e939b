/** How the example app splits a full name, and joins it back for display. */
export function splitName(name: string): { firstName: string; lastName: string } {
  const trimmed = name.trim();
  const space = trimmed.indexOf(" ");
  if (space === -1) return { firstName: trimmed, lastName: "" };
  return { firstName: trimmed.slice(0, space), lastName: trimmed.slice(space + 1).trim() };
}

export function joinName(parts: { firstName?: string; lastName?: string }): string {
  return [parts.firstName ?? "", parts.lastName ?? ""].filter((part) => part !== "").join(" ");
}

/** The domain of an email address, lowercased: "" when it has none. */
export function domainOf(email: string): string {
  const at = email.lastIndexOf("@");
  return at === -1
    ? ""
    : email
        .slice(at + 1)
        .trim()
        .toLowerCase();
}
