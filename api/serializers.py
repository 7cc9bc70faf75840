"""What the API shows. Read-only: writes go through the site's forms and services."""

from __future__ import annotations

from rest_framework import serializers

from kudos.selectors import rank_table


class MemberSerializer(serializers.Serializer):
    username = serializers.CharField()
    display_name = serializers.CharField(source="name")
    points = serializers.IntegerField()
    rank = serializers.SerializerMethodField()
    is_staff = serializers.BooleanField()
    url = serializers.CharField(source="get_absolute_url")

    def get_rank(self, user) -> str | None:
        rank = rank_table().rank_for(user.points)
        return rank.name if rank else None


class MemberDetailSerializer(MemberSerializer):
    date_joined = serializers.DateTimeField()


class ThreadSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    category = serializers.CharField(source="category.slug")
    author = MemberSerializer()
    tags = serializers.SerializerMethodField()
    is_private = serializers.BooleanField()
    answer_count = serializers.IntegerField()
    upvote_count = serializers.IntegerField()
    me_too_count = serializers.IntegerField()
    solution_id = serializers.IntegerField(allow_null=True)
    created_at = serializers.DateTimeField()
    last_activity_at = serializers.DateTimeField()
    url = serializers.CharField(source="get_absolute_url")

    def get_tags(self, thread) -> list[str]:
        tags = thread.tag_list if hasattr(thread, "tag_list") else thread.tags.all()  # with_list_data's
        return sorted(tag.name for tag in tags)


class ThreadDetailSerializer(ThreadSerializer):
    body = serializers.CharField()
    body_html = serializers.CharField()
    is_hidden = serializers.BooleanField()


class AnswerSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    thread_id = serializers.IntegerField()
    author = MemberSerializer()
    body = serializers.CharField()
    body_html = serializers.CharField()
    is_official = serializers.BooleanField()
    is_solution = serializers.SerializerMethodField()
    upvote_count = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    url = serializers.CharField(source="get_absolute_url")

    def get_is_solution(self, answer) -> bool:
        return answer.thread.solution_id == answer.pk


class AskSerializer(serializers.Serializer):
    """Documentation of the ask call; validated by community.forms.QuestionForm."""

    title = serializers.CharField()
    body = serializers.CharField()
    category = serializers.CharField(help_text="The category's slug.")
    tags = serializers.CharField(required=False, help_text="Comma separated.")
    is_private = serializers.BooleanField(required=False)


class BodySerializer(serializers.Serializer):
    body = serializers.CharField()


class TicketSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    thread_id = serializers.IntegerField()
    thread_title = serializers.CharField(source="thread.title")
    reason = serializers.CharField()
    status = serializers.CharField()
    assignee = MemberSerializer(allow_null=True)
    is_overdue = serializers.BooleanField()
    due_at = serializers.DateTimeField()
    created_at = serializers.DateTimeField()
    claimed_at = serializers.DateTimeField(allow_null=True)
    resolved_at = serializers.DateTimeField(allow_null=True)


class NoteSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    author = MemberSerializer()
    body = serializers.CharField()
    created_at = serializers.DateTimeField()


class TicketEventSerializer(serializers.Serializer):
    action = serializers.CharField()
    actor = MemberSerializer(allow_null=True)
    detail = serializers.CharField()
    created_at = serializers.DateTimeField()


class TicketDetailSerializer(TicketSerializer):
    notes = NoteSerializer(many=True)
    events = TicketEventSerializer(many=True)


class KudosEntrySerializer(serializers.Serializer):
    points = serializers.IntegerField()
    reason = serializers.CharField()
    created_at = serializers.DateTimeField()
    thread_id = serializers.IntegerField(allow_null=True, help_text="Only when you may open the thread.")


class StandingSerializer(serializers.Serializer):
    place = serializers.IntegerField()
    member = MemberSerializer()
    points = serializers.IntegerField()
