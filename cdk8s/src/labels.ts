import { COMPONENT_LABEL } from '@recio/platform';

/** Labels shared by every object; selectors use only `name` (and `part-of` for "any recio pod"). */
export const PART_OF = 'recio';

/** Selector labels of a component's pods. */
export function selectorLabels(component: string): Record<string, string> {
  return { [COMPONENT_LABEL]: component, 'app.kubernetes.io/part-of': PART_OF };
}

/** Labels of a component's objects and pods. */
export function componentLabels(component: string): Record<string, string> {
  return { ...selectorLabels(component), 'app.kubernetes.io/managed-by': 'cdk8s' };
}
