// The question elements the participant app can show, by question type. Each
// element file registers itself here (one line beside its class); the page
// asks the registry for a type's tag instead of knowing every type. Tags are
// made from the type name by code, never taken from protocol text.

const tags = new Map<string, string>();

/** Defines `<TYPE-question>` as the element for question type `type`. */
export function defineQuestionElement(type: string, element: CustomElementConstructor): void {
  if (!/^[a-z][a-z0-9]*$/.test(type)) throw new Error(`question type '${type}' cannot name an element (lowercase letters and digits)`);
  const tag = `${type}-question`;
  if (!customElements.get(tag)) customElements.define(tag, element);
  tags.set(type, tag);
}

/** The tag of the element registered for `type`, or undefined when none is. */
export function questionElementTag(type: string): string | undefined {
  return tags.get(type);
}
