"""Messages to patients through a pluggable channel (e-mail now; an SMS gateway can be added), each delivery
recorded as queued, sent or failed with the reason. Questionnaire links and reminders use it; appointment
messages can too."""
