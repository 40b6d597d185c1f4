"""The clinic assistant's own code, one room per concern (README, "Layout"):

settings  every setting, read once from the environment (shared by every room, so not a room)
runtime   the Rasa server process and everything it changes inside Rasa (patches.py lists each)
stores    Rasa's conversation and lock stores, configured by one URL each
channels  which channels run, and the messaging connectors
clinic    the clinic profile and the answers rendered from it
records   the clinic's own tables beside Rasa's, their migrations, erasure and the audit log
nlu       intent classification (Rasa components)
triage    red-flag detection (lexicon, safety net, the NLU component that runs them)
policies  dialogue policies
staff     the staff console
website   the website chat widget and a demo page
"""
