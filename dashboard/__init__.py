"""HealthAI Coach dashboard: a Panel application, French first, RGAA 4.1 AA by construction
(own page template, text and table equivalents of every chart, labelled forms, live region)."""
