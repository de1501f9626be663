"""The public special column (活动专栏)."""

urlpatterns = []
