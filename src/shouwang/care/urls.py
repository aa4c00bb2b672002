from django.urls import path

from . import views

app_name = "care"
urlpatterns = [
    path("", views.tasks, name="tasks"),
    path("record/", views.record, name="record"),
    path("records/<int:pk>/", views.record_detail, name="record_detail"),
    path("records/<int:pk>/correct/", views.correct, name="correct"),
    path("child/<int:pk>/", views.child, name="child"),
    path("child/<int:pk>/plan/", views.start_plan, name="start_plan"),
    path("child/<int:pk>/plan/measure/", views.add_plan_item, name="add_plan_item"),
    path(
        "child/<int:pk>/plan/measure/<int:item_pk>/end/", views.end_plan_item, name="end_plan_item"
    ),
    path("child/<int:pk>/plan/review/", views.review_plan, name="review_plan"),
    path("follow-ups/<int:pk>/close/", views.close_follow_up, name="close_follow_up"),
    path("pairings/", views.pairings, name="pairings"),
    path("pairings/new/", views.pair, name="pair"),
    path("pairings/<int:pk>/end/", views.end_pairing, name="end_pairing"),
    path("caregivers/", views.caregivers, name="caregivers"),
    path("caregivers/new/", views.add_caregiver, name="add_caregiver"),
    path("duties/", views.policies, name="policies"),
    path("duties/<str:code>/apply/<int:pk>/", views.apply_preset, name="apply_preset"),
    path("duties/<str:code>/new/", views.add_policy, name="add_policy"),
    path("duties/policy/<int:pk>/rule/", views.add_rule, name="add_rule"),
    path("duties/policy/<int:pk>/in-force/", views.set_in_force, name="set_in_force"),
    path("compliance/", views.compliance, name="compliance"),
]
