"""The community's pages, one module per page family (community/urls.py routes to each):

- base: what every view shares (sign-in wall, visible thread/answer, form_page, htmx_partial)
- threads: the thread page, asking, answering, voting, accepting, editing, deleting
- conversation: comments, following, @mention suggestions, live thread updates
- lists: home, categories, tags
- search: search, suggestions, similar questions
- editor: preview, images, live field checks
- moderation: flags and the staff flag queue

A new page goes in the family it belongs to; a family of its own gets a module of its own.
Modules import base and never each other, except conversation (and threads for the preview)
reusing a family's context builder.
"""
