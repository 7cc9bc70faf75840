"""Admin for community: categories and settings are managed here. Threads and answers can be
looked up and filtered; their text, visibility and counters change only through
community.services (which keep revisions and send the domain events), so the admin shows them
read-only, except a thread's category and tags."""

from django.contrib import admin

from community.models import Answer, Category, Comment, CommunitySettings, Flag, Follow, Revision, Thread
from config.admin import NoEditAdmin


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "position", "created_at"]
    list_editable = ["position"]
    ordering = ["position", "name"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name", "description"]


class RevisionInline(admin.TabularInline):
    model = Revision
    fk_name = "thread"
    extra = 0
    can_delete = False
    fields = ["created_at", "edited_by", "title", "body"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class AnswerRevisionInline(RevisionInline):
    fk_name = "answer"


@admin.register(Thread)
class ThreadAdmin(admin.ModelAdmin):
    list_display = [
        "title", "category", "author", "is_private", "answer_count", "upvote_count", "me_too_count",
        "flag_count", "has_solution", "is_hidden", "is_deleted", "last_activity_at",
    ]
    list_filter = ["category", "is_private", "private_reason", "is_hidden", "is_deleted", ("solution", admin.EmptyFieldListFilter), "created_at"]
    search_fields = ["title", "body", "author__username", "author__email", "author__display_name"]
    list_select_related = ["category", "author"]
    date_hierarchy = "created_at"
    raw_id_fields = ["author", "solution"]
    readonly_fields = [
        "author", "slug", "body_html", "solution", "answer_count", "upvote_count", "me_too_count", "flag_count",
        "created_at", "last_activity_at", "edited_at", "first_answer_at", "solved_at", "deleted_at", "version",
        "is_private", "private_reason", "title", "body", "is_hidden", "is_deleted",
    ]
    fields = [
        "title", "slug", "category", "author", "body", "tags", "is_private", "private_reason", "solution",
        ("answer_count", "upvote_count", "me_too_count", "flag_count"),
        ("created_at", "last_activity_at", "edited_at", "first_answer_at", "solved_at"),
        ("is_hidden", "is_deleted", "deleted_at"), "version",
    ]
    inlines = [RevisionInline]

    @admin.display(boolean=True, description="solved")
    def has_solution(self, obj) -> bool:
        return obj.has_solution

    def has_add_permission(self, request) -> bool:
        return False  # questions are asked on the site, through community.services


@admin.register(Answer)
class AnswerAdmin(admin.ModelAdmin):
    list_display = ["__str__", "thread", "author", "is_official", "upvote_count", "flag_count", "is_hidden", "is_deleted", "created_at"]
    list_filter = ["is_official", "is_hidden", "is_deleted", "thread__category", "created_at"]
    search_fields = ["body", "author__username", "author__email", "thread__title"]
    list_select_related = ["thread", "author"]
    raw_id_fields = ["thread", "author"]
    readonly_fields = [
        "thread", "author", "body", "body_html", "is_official", "upvote_count", "flag_count",
        "created_at", "edited_at", "is_deleted", "deleted_at", "is_hidden",
    ]
    inlines = [AnswerRevisionInline]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(CommunitySettings)
class CommunitySettingsAdmin(admin.ModelAdmin):
    list_display = ["__str__", "flag_threshold"]

    def has_add_permission(self, request) -> bool:
        return not CommunitySettings.objects.exists()

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def changelist_view(self, request, extra_context=None):
        CommunitySettings.load()  # the one row exists before anyone edits it
        return super().changelist_view(request, extra_context)


# --- Flags ----------------------------------------------------------------------------------


@admin.register(Flag)
class FlagAdmin(admin.ModelAdmin):
    """Flags are looked up here; staff decide on them on /staff/flags/ (community.services.
    restore_post / remove_post), which also sends the events, so the admin shows them read-only."""

    list_display = ["target", "reason", "user", "weight", "resolution", "created_at", "resolved_by", "resolved_at"]
    list_filter = ["reason", "resolution", "created_at"]
    search_fields = [
        "note", "user__username", "user__email", "thread__title", "answer__thread__title", "comment__body",
    ]
    list_select_related = ["user", "thread", "answer", "comment", "resolved_by"]
    raw_id_fields = ["user", "thread", "answer", "comment", "resolved_by"]
    readonly_fields = [
        "user", "thread", "answer", "comment", "reason", "note", "weight", "created_at", "resolution",
        "resolved_by", "resolved_at",
    ]
    date_hierarchy = "created_at"

    @admin.display(description="post")
    def target(self, obj) -> str:
        if obj.thread_id:
            return f"Question: {obj.thread.title}"
        if obj.comment_id:
            return f"Comment {obj.comment_id}"
        return f"Answer {obj.answer_id}"

    def has_add_permission(self, request) -> bool:
        return False  # members flag on the site, through community.moderation.flag_post


# --- Tags -----------------------------------------------------------------------------------
# taggit's admin adds a "merge tags" page guarded only by is_staff. Merging rewrites the tags
# of every question that carries them, so it takes the permission to change tags, like the
# changelist action that leads to it; without a selection it goes back to the list.

from django.core.exceptions import PermissionDenied  # noqa: E402
from django.shortcuts import redirect  # noqa: E402
from taggit.admin import TagAdmin as TaggitTagAdmin  # noqa: E402
from taggit.models import Tag  # noqa: E402


class TagAdmin(TaggitTagAdmin):
    def merge_tags_view(self, request):
        if not self.has_change_permission(request):
            raise PermissionDenied
        if not request.session.get("selected_tag_ids"):
            self.message_user(request, "Select the tags to merge first.")
            return redirect("admin:taggit_tag_changelist")
        return super().merge_tags_view(request)


if admin.site.is_registered(Tag):
    admin.site.unregister(Tag)
admin.site.register(Tag, TagAdmin)


# --- Conversation: comments and follows, read-only (community.services writes them) -----------


@admin.register(Comment)
class CommentAdmin(NoEditAdmin):
    list_display = ["pk", "thread", "answer", "author", "created_at", "edited_at", "is_hidden", "is_deleted"]
    list_filter = ["is_hidden", "is_deleted"]
    search_fields = ["body", "author__username"]
    list_select_related = ["thread", "answer", "author"]
    readonly_fields = [
        "thread", "answer", "author", "body", "created_at", "edited_at", "is_hidden", "is_deleted",
        "deleted_at",
    ]
    exclude = ["body_html"]


@admin.register(Follow)
class FollowAdmin(NoEditAdmin):
    list_display = ["user", "thread", "category", "tag", "is_active", "created_at"]
    list_filter = ["is_active"]
    list_select_related = ["user", "thread", "category", "tag"]
    readonly_fields = ["user", "thread", "category", "tag", "is_active", "created_at"]
