<?php
// This file is part of the Stream Portal companion plugin for Moodle - https://moodle.org/
// GNU GPL v3 or later.

/**
 * English strings.
 *
 * @package    assignsubmission_streamportal
 * @copyright  2026 Stream Portal
 * @license    http://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */

defined('MOODLE_INTERNAL') || die();

$string['pluginname'] = 'Stream Portal video';
$string['enabled'] = 'Stream Portal video';
$string['enabled_help'] = 'Students upload a video through the Stream Portal, straight to Cloudflare Stream.';
$string['default'] = 'Enabled by default';
$string['default_help'] = 'New assignments take video submissions through the Stream Portal.';
$string['portalurl'] = 'Portal URL';
$string['portalurl_desc'] = 'Base URL of the Stream Portal, e.g. https://portal.example.org';
$string['embedsecret'] = 'Embed secret';
$string['embedsecret_desc'] = 'Shared with the portal (EMBED_SHARED_SECRET); signs the player links shown in the grader and the "Open in Stream Portal" sign-in links (the way in on Moodle 4.1-4.4).';
$string['maxminutes'] = 'Maximum video length (minutes)';
$string['maxbytes'] = 'Maximum video size (bytes)';
$string['uploadinportal'] = 'Upload your video in the Stream Portal';
$string['openinportal'] = 'Open your video in the Stream Portal';
$string['openportal'] = 'Open in Stream Portal';
$string['uploadagain'] = 'Upload it again in the Stream Portal';
$string['player'] = 'Submitted video';
$string['notconfigured'] = 'The Stream Portal is not configured on this site.';
$string['removedafterretention'] = 'Video removed after retention';
$string['uidconflict'] = 'This video is already recorded for another submission';
$string['pluginnotenabled'] = 'Stream video submissions are not enabled in this assignment';
$string['usercannotsubmit'] = 'This user cannot submit to this assignment';
$string['uidnotfound'] = 'No video is recorded with this id';
$string['status_uploading'] = 'Uploading';
$string['status_processing'] = 'Processing';
$string['status_ready'] = 'Video ready';
$string['status_error'] = 'Video could not be processed';
$string['status_expired'] = 'Upload expired';
$string['status_deleted'] = 'Video removed after retention';
$string['streamportal:recordvideo'] = 'Record Stream videos for students';
$string['streamportal:viewvideos'] = 'View Stream video records';
$string['streamportal:readusercontext'] = 'Read portal user context';
$string['privacy:metadata:records'] = 'The Stream Portal video submitted by the user: its Cloudflare Stream id, status, size, duration and dates.';
$string['privacy:metadata:records:userid'] = 'The student who submitted the video';
$string['privacy:metadata:records:streamuid'] = 'The video id at Cloudflare Stream';
$string['privacy:metadata:records:portalsubmissionid'] = 'The submission id in the Stream Portal';
$string['privacy:metadata:records:timecreated'] = 'When Moodle first recorded the video';
$string['privacy:metadata:records:status'] = 'Processing or retention status';
$string['privacy:metadata:records:sizebytes'] = 'Size of the video';
$string['privacy:metadata:records:durationseconds'] = 'Length of the video';
$string['privacy:metadata:records:uploadedat'] = 'When the upload completed';
$string['privacy:metadata:records:deleteafter'] = 'When the video is deleted';
$string['privacy:metadata:portal'] = 'The video is sent by the user\'s browser to the Stream Portal and Cloudflare Stream, not to Moodle.';
$string['privacy:metadata:portal:userid'] = 'The user\'s Moodle id, to link the video to the user';
$string['privacy:path'] = 'Stream Portal video';
