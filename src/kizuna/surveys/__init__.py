"""Surveys: build a survey (web builder, template, YAML/JSON), distribute it (public and
personal links, e-mail with the first question inside, QR codes, a website widget,
interaction triggers, under one set of contact rules), answer it on a phone, and turn every
answer into a voice at once (`kizuna.feedback.service.record_voice`).

Rooms: `definition` (parse and check a definition), `logic` (pages, display logic, jumps,
piping), `library` (the templates), `service` (surveys, versions, contact rules),
`answering` + `writer` (the write path of answers), `voices` (answer -> voice),
`tokens` (signed personal links), `contact` (who may be asked now), `distribution`
(invitations, reminders, triggers), `jobs`, `qr`, `results`, `export`, and the web
(`api`, `pages`, `public`) and `cli` over them.
"""
