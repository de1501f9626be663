"""EventPhoto and EventSummary, taken over from the publicity app (publicity 0002).

State only: the tables keep their names, publicity_eventphoto and publicity_eventsummary
(Meta.db_table), with every row, index and foreign key they had. 0002 moves the stored labels.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("events", "0001_initial"),
        ("publicity", "0002_move_event_summaries"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='EventPhoto',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('image', models.FileField(upload_to='event-photos/%Y/%m/')),
                        ('caption', models.CharField(blank=True, max_length=120, verbose_name='说明')),
                        ('shows_logo', models.BooleanField(default=False, verbose_name='照片中可见活动 LOGO')),
                        ('public', models.BooleanField(default=True, verbose_name='在专栏中公开')),
                        ('width', models.PositiveIntegerField(blank=True, null=True)),
                        ('height', models.PositiveIntegerField(blank=True, null=True)),
                        ('uploaded_at', models.DateTimeField(auto_now_add=True)),
                        ('event', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='photos', to='events.event')),
                        ('uploaded_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'publicity_eventphoto',
                        'ordering': ['event', 'uploaded_at', 'id'],
                    },
                ),
                migrations.CreateModel(
                    name='EventSummary',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('overview', models.TextField(blank=True, verbose_name='活动开展情况')),
                        ('experiences', models.TextField(blank=True, verbose_name='经验做法')),
                        ('shortcomings', models.TextField(blank=True, verbose_name='存在不足')),
                        ('causes', models.TextField(blank=True, verbose_name='原因分析')),
                        ('next_steps', models.TextField(blank=True, verbose_name='下一步打算')),
                        ('figures', models.JSONField(blank=True, default=dict)),
                        ('status', models.CharField(choices=[('draft', '草稿'), ('submitted', '已报送')], default='draft', max_length=16)),
                        ('submitted_at', models.DateTimeField(blank=True, null=True)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                        ('event', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='report', to='events.event')),
                        ('submitted_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('updated_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'publicity_eventsummary',
                    },
                ),
            ],
        ),
    ]
