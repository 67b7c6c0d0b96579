"""After the intervention: the questionnaire's rules, its service and its renderers."""
